"""URLs of the public statistics pages and open data."""

from django.urls import path

from complaints.public import views

urlpatterns = [
    path("", views.stats_page, name="public-stats"),
    path("open-data.csv", views.open_data_csv, name="public-open-data"),
]
api_urlpatterns = [
    path("stats/", views.stats_api, name="public-stats-api"),
]
